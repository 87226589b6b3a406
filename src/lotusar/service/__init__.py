"""lotusar.service"""
